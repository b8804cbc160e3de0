#include <stdio.h>
#include <string.h>

void greet(const char *name) {
    char buffer[16];
    char line[64];
    snprintf(buffer, sizeof buffer, "%s", name);
    if (fgets(line, sizeof line, stdin) != NULL) {
        printf("%s %s\n", buffer, line);
    }
}
