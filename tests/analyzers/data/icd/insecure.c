#include <stdio.h>
#include <string.h>
#include <stdlib.h>

void greet(const char *name, const char *command) {
    char buffer[16];
    char line[64];
    strcpy(buffer, name);
    gets(line);
    system(command);
    printf("%s %s\n", buffer, line);
}
