// Loading YAML text with its syntax errors reported as ConfigError at line:col. Shared by the
// pack loader and the config loader.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string_view>

#include "migsafe/inputs.hpp"
#include "migsafe/rules.hpp"

namespace migsafe {

inline Position yaml_position(const YAML::Mark& m) {
  if (m.line < 0) return {};
  return {static_cast<uint32_t>(m.line + 1), static_cast<uint32_t>(m.column + 1)};
}

inline YAML::Node load_yaml(const std::string& text, const std::string& path) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(path, e.msg, yaml_position(e.mark));
  }
}

// A YAML file's text; one that cannot be read is a ConfigError naming what it was meant to be.
inline std::string read_yaml_file(const std::string& path, std::string_view what) {
  try {
    return read_bounded(path);
  } catch (const InputError& e) {
    throw ConfigError(path, "cannot read the " + std::string(what) + ": " + e.what());
  }
}

}  // namespace migsafe
