// Several processes on one database (SPEC §4: "several processes may open one
// database"; "two endpoints of one network never share an IP, even under
// concurrent connects from many processes"). Each child opens its own Store
// after the fork; the parent holds no open Store across a fork.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "a3s/store/error.hpp"
#include "a3s/store/records.hpp"
#include "a3s/store/store.hpp"
#include "store_assertions.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace st = a3s::store;
using a3s::test::open_store;
using a3s::test::TempDir;

namespace {

// Exit codes of a child (run_in_children turns an exception into 99).
constexpr int kOk = 0;
constexpr int kStoreError = 1;
constexpr int kWrongResult = 2;
constexpr int kAlreadyExists = 3;

std::string box_id(int process, int box) {
  return "p" + std::to_string(process) + "-box-" + std::to_string(box);
}

// Every "key value" line of the files children wrote.
std::map<std::string, std::string> read_reports(const fs::path& dir, int count) {
  std::map<std::string, std::string> reports;
  for (int i = 0; i < count; ++i) {
    const fs::path file = dir / ("child-" + std::to_string(i) + ".txt");
    if (!fs::exists(file)) continue;
    std::istringstream in(a3s::test::read_file(file));
    std::string key, value;
    while (in >> key >> value) reports[key] = value;
  }
  return reports;
}

}  // namespace

TEST_CASE("8 processes connecting 25 boxes each to one network get 200 distinct IPs",
          "[multiprocess][network]") {
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  const fs::path reports = tmp.path() / "reports";
  fs::create_directories(reports);
  {
    auto store = open_store(home);
    st::NetworkConfig n;
    n.name = "shared";
    n.subnet = "10.88.0.0/24";
    n.gateway = "10.88.0.1";
    n.created_at = "2024-01-01T00:00:00Z";
    store->networks().create(n);
  }  // closed before the fork

  constexpr int kProcesses = 8;
  constexpr int kBoxes = 25;
  const auto start = std::chrono::steady_clock::now();
  const auto codes = a3s::test::run_in_children(kProcesses, [&](int index) {
    auto store = open_store(home);
    std::ofstream out(reports / ("child-" + std::to_string(index) + ".txt"));
    for (int b = 0; b < kBoxes; ++b) {
      const std::string id = box_id(index, b);
      try {
        const auto e = store->networks().connect("shared", id, "name-" + id);
        if (e.box_id != id || e.ip_address.rfind("10.88.0.", 0) != 0) return kWrongResult;
        out << id << ' ' << e.ip_address << '\n';
      } catch (const st::Error& err) {
        std::cerr << "child " << index << ": " << err.what() << '\n';
        return kStoreError;
      }
    }
    out.flush();
    return out ? kOk : kWrongResult;
  });
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
  std::cout << "measured: " << kProcesses * kBoxes << " concurrent connects from " << kProcesses
            << " processes took " << elapsed << " ms" << std::endl;

  CHECK(codes == std::vector<int>(kProcesses, kOk));

  auto store = open_store(home);
  const auto network = store->networks().get("shared");
  REQUIRE(network.has_value());
  REQUIRE(network->endpoints.size() == kProcesses * kBoxes);

  std::set<std::string> expected_ids;
  std::set<std::string> expected_ips;
  for (int p = 0; p < kProcesses; ++p) {
    for (int b = 0; b < kBoxes; ++b) expected_ids.insert(box_id(p, b));
  }
  for (int host = 2; host <= 201; ++host) expected_ips.insert("10.88.0." + std::to_string(host));

  std::set<std::string> ids;
  std::set<std::string> ips;
  for (const auto& [id, e] : network->endpoints) {
    ids.insert(id);
    ips.insert(e.ip_address);
    // The MAC follows the IP (02:42 + octets), so it is unique as well.
    const auto host = std::stoi(e.ip_address.substr(std::string("10.88.0.").size()));
    char mac[18];
    std::snprintf(mac, sizeof mac, "02:42:0a:58:00:%02x", host);
    CHECK(e.mac_address == mac);
  }
  CHECK(ids == expected_ids);
  CHECK(ips.size() == kProcesses * kBoxes);
  CHECK(ips == expected_ips);

  // What each child was told is what the database kept.
  const auto told = read_reports(reports, kProcesses);
  CHECK(told.size() == kProcesses * kBoxes);
  for (const auto& [id, ip] : told) {
    CAPTURE(id);
    REQUIRE(network->endpoints.count(id) == 1);
    CHECK(network->endpoints.at(id).ip_address == ip);
  }
}

TEST_CASE("8 processes attaching 20 boxes each to one volume lose no user",
          "[multiprocess][volume]") {
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  {
    auto store = open_store(home);
    st::VolumeConfig v;
    v.name = "shared";
    v.created_at = "2024-01-01T00:00:00Z";
    store->volumes().create(v);
  }  // closed before the fork

  constexpr int kProcesses = 8;
  constexpr int kBoxes = 20;
  const auto start = std::chrono::steady_clock::now();
  const auto codes = a3s::test::run_in_children(kProcesses, [&](int index) {
    auto store = open_store(home);
    for (int b = 0; b < kBoxes; ++b) {
      const std::string id = box_id(index, b);
      try {
        const auto v = store->volumes().attach("shared", id);
        // The returned record lists the box exactly once.
        if (std::count(v.in_use_by.begin(), v.in_use_by.end(), id) != 1) return kWrongResult;
      } catch (const st::Error& err) {
        std::cerr << "child " << index << ": " << err.what() << '\n';
        return kStoreError;
      }
    }
    return kOk;
  });
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - start)
                           .count();
  std::cout << "measured: " << kProcesses * kBoxes << " concurrent volume attaches from "
            << kProcesses << " processes took " << elapsed << " ms" << std::endl;

  CHECK(codes == std::vector<int>(kProcesses, kOk));

  auto store = open_store(home);
  const auto volume = store->volumes().get("shared");
  REQUIRE(volume.has_value());
  const auto& users = volume->in_use_by;
  CHECK(users.size() == kProcesses * kBoxes);
  const std::set<std::string> distinct(users.begin(), users.end());
  CHECK(distinct.size() == users.size());
  std::set<std::string> expected;
  for (int p = 0; p < kProcesses; ++p) {
    for (int b = 0; b < kBoxes; ++b) expected.insert(box_id(p, b));
  }
  CHECK(distinct == expected);

  // Attach order is kept: each process's boxes appear in the order it
  // attached them.
  for (int p = 0; p < kProcesses; ++p) {
    std::vector<std::string> mine;
    const std::string prefix = "p" + std::to_string(p) + "-";
    for (const auto& u : users) {
      if (u.rfind(prefix, 0) == 0) mine.push_back(u);
    }
    std::vector<std::string> in_order;
    for (int b = 0; b < kBoxes; ++b) in_order.push_back(box_id(p, b));
    CHECK(mine == in_order);
  }
}

TEST_CASE("of 8 processes creating the same network at once exactly one succeeds",
          "[multiprocess][network]") {
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  { open_store(home); }  // the schema exists before the race; closed before the fork

  constexpr int kProcesses = 8;
  const auto codes = a3s::test::run_in_children(kProcesses, [&](int index) {
    auto store = open_store(home);
    st::NetworkConfig n;
    n.name = "race";
    n.subnet = "10.88.0.0/24";
    n.gateway = "10.88.0.1";
    n.created_at = "2024-01-01T00:00:00Z";
    n.labels = {{"winner", std::to_string(index)}};
    try {
      store->networks().create(n);
      return kOk;
    } catch (const st::Error& err) {
      return err.code() == st::ErrorCode::already_exists ? kAlreadyExists : kStoreError;
    }
  });
  CHECK(std::count(codes.begin(), codes.end(), kOk) == 1);
  CHECK(std::count(codes.begin(), codes.end(), kAlreadyExists) == kProcesses - 1);

  auto store = open_store(home);
  const auto network = store->networks().get("race");
  REQUIRE(network.has_value());
  const int winner = static_cast<int>(std::find(codes.begin(), codes.end(), kOk) - codes.begin());
  CHECK(network->labels.at("winner") == std::to_string(winner));
  CHECK(store->networks().list().size() == 1);
}

TEST_CASE("8 processes each creating and removing their own volumes leave a consistent home",
          "[multiprocess][volume]") {
  TempDir tmp;
  const fs::path home = tmp.path() / "home";
  { open_store(home); }

  constexpr int kProcesses = 8;
  constexpr int kVolumes = 10;
  const auto codes = a3s::test::run_in_children(kProcesses, [&](int index) {
    auto store = open_store(home);
    for (int i = 0; i < kVolumes; ++i) {
      st::VolumeConfig v;
      v.name = "p" + std::to_string(index) + "-v" + std::to_string(i);
      v.created_at = "2024-01-01T00:00:00Z";
      try {
        store->volumes().create(v);
        // Every other one is removed again.
        if (i % 2 == 1) store->volumes().remove(v.name);
      } catch (const st::Error& err) {
        std::cerr << "child " << index << ": " << err.what() << '\n';
        return kStoreError;
      }
    }
    return kOk;
  });
  CHECK(codes == std::vector<int>(kProcesses, kOk));

  auto store = open_store(home);
  std::vector<std::string> expected;
  for (int p = 0; p < kProcesses; ++p) {
    for (int i = 0; i < kVolumes; i += 2) {
      expected.push_back("p" + std::to_string(p) + "-v" + std::to_string(i));
    }
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> names;
  for (const auto& v : store->volumes().list()) {
    names.push_back(v.name);
    CHECK(fs::is_directory(v.mount_point));
  }
  CHECK(names == expected);
  CHECK(a3s::test::catalog_entries(home / "volumes") == expected);
}
