#include <cstdio>

void label(char *out, const char *name, int id) {
    sprintf(out, "%s-%d", name, id);
}
