#include <memory>
#include <string>

std::string label(const std::string &name, int count) {
    auto owned = std::make_unique<int>(count);
    return name + ":" + std::to_string(*owned);
}
