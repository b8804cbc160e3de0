import java.io.InputStream;
import java.io.ObjectInputStream;
import java.security.MessageDigest;

public class Insecure {
    public static byte[] digest(byte[] data) throws Exception {
        MessageDigest md = MessageDigest.getInstance("MD5");
        return md.digest(data);
    }

    public static void run(String command) throws Exception {
        Runtime.getRuntime().exec(command);
    }

    public static Object load(InputStream in) throws Exception {
        ObjectInputStream stream = new ObjectInputStream(in);
        return stream.readObject();
    }
}
