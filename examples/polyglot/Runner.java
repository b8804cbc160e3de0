import java.io.IOException;

class Runner {
    static Process run(String command) throws IOException {
        return Runtime.getRuntime().exec(command);
    }
}
