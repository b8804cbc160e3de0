#include <cstdio>
#include <memory>
#include <string>

std::string label(const char *name, int count) {
    char buffer[32];
    sprintf(buffer, "%s:%d", name, count);
    std::auto_ptr<int> owned(new int(count));
    return std::string(buffer);
}
