// Strided copy (kernels/layout): permutes, transposes, slices with steps, broadcasts, copies into a
// strided destination, 0-d and empty shapes, 16 dimensions, and a large transpose on 1 and 2
// threads. A copy does no arithmetic, so every check is exact, over the whole destination buffer
// (elements the copy must not touch keep their sentinel value).
#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "harness.h"
#include "kernels/layout/layout.h"
#include "kernels/threads.h"

namespace {

using gn::index_t;

struct Case {
  std::string name;
  std::vector<index_t> shape, src_strides, dst_strides;
  index_t src_offset = 0, dst_offset = 0;
};

std::vector<index_t> contiguous(const std::vector<index_t>& shape) {
  std::vector<index_t> s(shape.size());
  index_t acc = 1;
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

// Strides of a contiguous tensor of shape `base` viewed with its dimensions permuted by perm.
Case permute(const std::string& name, const std::vector<index_t>& base, const std::vector<int>& perm) {
  const std::vector<index_t> bs = contiguous(base);
  Case c;
  c.name = name;
  for (int p : perm) {
    c.shape.push_back(base[p]);
    c.src_strides.push_back(bs[p]);
  }
  c.dst_strides = contiguous(c.shape);
  return c;
}

index_t extent(const std::vector<index_t>& shape, const std::vector<index_t>& strides, index_t offset) {
  index_t last = offset;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return offset;
    last += (shape[d] - 1) * strides[d];
  }
  return last + 1;
}

// The reference: a sequential row-major walk (last write wins where the destination repeats).
void ref_copy(const Case& c, const float* src, float* dst) {
  index_t total = 1;
  for (index_t s : c.shape) total *= s;
  for (index_t flat = 0; flat < total; ++flat) {
    index_t rem = flat, so = c.src_offset, dof = c.dst_offset;
    for (int d = static_cast<int>(c.shape.size()) - 1; d >= 0; --d) {
      const index_t i = rem % c.shape[d];
      rem /= c.shape[d];
      so += i * c.src_strides[d];
      dof += i * c.dst_strides[d];
    }
    dst[dof] = src[so];
  }
}

void run_case(const Case& c) {
  const index_t src_len = extent(c.shape, c.src_strides, c.src_offset);
  const index_t dst_len = extent(c.shape, c.dst_strides, c.dst_offset) + 3;
  std::vector<float> src(static_cast<std::size_t>(src_len));
  std::iota(src.begin(), src.end(), 1.0f);  // distinct values (exact below 2^24)
  std::vector<float> got(static_cast<std::size_t>(dst_len), -777.0f), want = got;
  gn::copy_strided(static_cast<int>(c.shape.size()), c.shape.data(), src.data() + c.src_offset,
                   c.src_strides.data(), got.data() + c.dst_offset, c.dst_strides.data());
  ref_copy(c, src.data(), want.data());
  std::string what = "copy " + c.name + " shape [";
  for (index_t s : c.shape) what += std::to_string(s) + ",";
  what += "] (threads " + std::to_string(gn::num_threads()) + ")";
  gn_test::check_equal(what, got.data(), want.data(), got.size());
}

std::vector<Case> cases() {
  std::vector<Case> v;
  for (index_t n : {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 1000}) {
    v.push_back({"contiguous 1-d", {n}, {1}, {1}});
    v.push_back({"contiguous 2-d", {3, n}, {n, 1}, {n, 1}, 2, 1});
    v.push_back({"broadcast row", {4, n}, {0, 1}, {n, 1}});
    v.push_back({"broadcast column", {n, 5}, {1, 0}, {5, 1}});
    v.push_back({"step 3", {n}, {3}, {1}, 1, 0});
  }
  for (index_t p : {1, 7, 16, 17, 33, 100})
    for (index_t q : {1, 9, 16, 31, 64})
      v.push_back(permute("transpose", {q, p}, {1, 0}));
  const std::vector<index_t> base = {5, 6, 7};
  std::vector<int> perm = {0, 1, 2};
  do {
    v.push_back(permute("permute 3-d " + std::to_string(perm[0]) + std::to_string(perm[1]) + std::to_string(perm[2]),
                        base, perm));
  } while (std::next_permutation(perm.begin(), perm.end()));
  v.push_back(permute("NCHW -> NHWC", {2, 3, 17, 19}, {0, 2, 3, 1}));
  v.push_back(permute("NHWC -> NCHW", {2, 17, 19, 40}, {0, 3, 1, 2}));
  v.push_back(permute("batched transpose", {3, 50, 70}, {0, 2, 1}));
  v.push_back({"slice with steps", {4, 5}, {2 * 15, 3}, {5, 1}, 16, 0});
  v.push_back({"into a column block of a wider matrix (cat)", {6, 7}, {7, 1}, {20, 1}, 0, 13});
  v.push_back({"transposed destination", {5, 3}, {3, 1}, {1, 5}});
  v.push_back({"strided destination (pad)", {4, 4}, {4, 1}, {12, 2}, 0, 13});
  v.push_back({"destination stride 0: last write wins", {4, 3}, {3, 1}, {0, 1}});
  v.push_back({"0-d", {}, {}, {}, 3, 2});
  v.push_back({"empty", {3, 0, 4}, {0, 4, 1}, {0, 4, 1}});
  v.push_back({"size-1 dims", {1, 5, 1, 1, 3}, {99, 3, 7, 1, 1}, {15, 3, 3, 3, 1}});
  {
    const std::vector<index_t> shape(16, 2);
    std::vector<int> rev(16);
    std::iota(rev.begin(), rev.end(), 0);
    std::reverse(rev.begin(), rev.end());
    v.push_back(permute("16 dims reversed", shape, rev));
  }
  // Large enough for two threads.
  v.push_back(permute("large transpose", {700, 900}, {1, 0}));
  v.push_back({"large contiguous", {300000}, {1}, {1}});
  v.push_back({"large broadcast", {500, 700}, {0, 1}, {700, 1}});
  v.push_back(permute("large NCHW -> NHWC", {4, 16, 40, 41}, {0, 2, 3, 1}));
  return v;
}

using gn_test::with_threads;

}  // namespace

GN_TEST(layout_copy_strided) {
  for (const Case& c : cases()) run_case(c);
}

GN_TEST(layout_copy_strided_threads) {
  // Exactness on 1 and 2 threads implies the two agree.
  for (int t : {1, 2})
    with_threads(t, [] {
      for (const Case& c : cases())
        if (c.name.rfind("large", 0) == 0) run_case(c);
    });
}
