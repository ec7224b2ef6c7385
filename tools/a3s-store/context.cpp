#include "context.hpp"

#include "a3s/store/error.hpp"
#include "a3s/store/sizes.hpp"

namespace a3s::cli {

void Context::on(CLI::App* sub, std::function<void()> fn) {
  sub->callback([this, fn = std::move(fn)] { action = fn; });
}

store::Options Context::options() const {
  store::Options options;
  options.home = home;
  options.db_path = db;
  options.store = store;
  options.auto_migrate = !no_auto_migrate;
  return store::resolve(std::move(options));
}

std::unique_ptr<store::Store> Context::open_store() const { return store::Store::open(options()); }

CLI::Option* Context::path(CLI::Option* option) {
  paths_.push_back(option);
  return option;
}

void Context::refuse_empty_paths() const {
  for (const CLI::Option* option : paths_) {
    for (const std::string& value : option->results()) {
      if (value.empty()) {
        throw store::Error(store::ErrorCode::invalid_argument,
                           option->get_name() + " must not be an empty path");
      }
    }
  }
}

CLI::Option* add_label_option(CLI::App* sub, std::vector<std::string>& labels) {
  return sub->add_option("--label", labels, "A label (repeatable)")
      ->type_name("K=V")
      ->check(CLI::Validator(
          [](std::string& label) -> std::string {
            if (label.find('=') != std::string::npos) return {};
            return "label '" + label + "' is not KEY=VALUE";
          },
          "K=V"));
}

store::StringMap to_label_map(const std::vector<std::string>& labels) {
  store::StringMap map;
  for (const auto& label : labels) {
    const auto eq = label.find('=');
    map[label.substr(0, eq)] = label.substr(eq + 1);
  }
  return map;
}

CLI::Option* add_size_option(CLI::App* sub, const std::string& name, std::uint64_t& bytes,
                             const std::string& description) {
  // The transform rewrites the text to plain bytes before CLI11 converts it.
  return sub->add_option(name, bytes, description)
      ->type_name("SIZE")
      ->transform(CLI::Validator(
          [](std::string& text) -> std::string {
            const auto value = store::parse_size(text);
            if (!value) return "invalid size '" + text + "' (e.g. 1048576, 512k, 500m, 10GB)";
            text = std::to_string(*value);
            return {};
          },
          "SIZE"));
}

}  // namespace a3s::cli
