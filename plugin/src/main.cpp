#include <herd/plugin/app.hpp>

int main(int argc, char** argv) {
  return herd::plugin::run(argc, argv);
}
