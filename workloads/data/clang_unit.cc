// The clang workload's translation unit (workloads/program_clang.cc): a small
// inventory service over the standard library, instantiated
// ALLOCMARK_UNITS times (Inventory<0> ... Inventory<N-1>), so that the
// compiler parses the same headers once and instantiates, optimises and
// emits code for N copies of the templates.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#ifndef ALLOCMARK_UNITS
#define ALLOCMARK_UNITS 1
#endif

template <int N>
struct Item {
  std::string name;
  std::vector<std::pair<int, double>> prices;
  std::map<std::string, int> tags;
  std::unique_ptr<Item> replacement;
};

template <int N>
class Inventory {
 public:
  void Add(int id) {
    Item<N> item;
    item.name = "item-" + std::to_string(N) + "-" + std::to_string(id);
    for (int i = 0; i < id % 7 + N % 5; ++i)
      item.prices.emplace_back(i, i * 0.25 + N);
    item.tags["group" + std::to_string(id % 5)] = id;
    if (id % 3 == 0) item.replacement = std::make_unique<Item<N>>();
    items_.emplace(item.name, std::move(item));
  }

  std::vector<const Item<N>*> Sorted(
      const std::function<bool(const Item<N>&, const Item<N>&)>& less) const {
    std::vector<const Item<N>*> sorted;
    for (const auto& [name, item] : items_) sorted.push_back(&item);
    std::sort(sorted.begin(), sorted.end(),
              [&](const Item<N>* a, const Item<N>* b) { return less(*a, *b); });
    return sorted;
  }

  double Total() const {
    double total = 0;
    for (const Item<N>*item : Sorted(
             [](const Item<N>&a, const Item<N>&b) { return a.name < b.name; }))
      for (const auto& [quantity, price] : item->prices)
        total += quantity * price + static_cast<double>(item->tags.size());
    return total;
  }

 private:
  std::unordered_map<std::string, Item<N>> items_;
};

template <int... I>
double TotalOfAll(std::integer_sequence<int, I...>, int items) {
  auto one = [items](auto inventory) {
    for (int id = 0; id < items; ++id) inventory.Add(id);
    return inventory.Total();
  };
  return (one(Inventory<I>()) + ...);
}

int main(int argc, char**) {
  std::printf("%f\n",
              TotalOfAll(std::make_integer_sequence<int, ALLOCMARK_UNITS>(),
                         argc * 100));
}
