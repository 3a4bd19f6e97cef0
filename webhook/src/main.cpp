#include <herd/webhook/controller_app.hpp>

#include <iostream>

int main(int argc, char** argv) {
  return herd::webhook::run_controller(argc, argv, std::cerr);
}
