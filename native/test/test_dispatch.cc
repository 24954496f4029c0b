// The dispatch table: names round-trip, the running ISA is the one selected, and every runnable
// ISA provides a complete kernel table.
#include "harness.h"

GN_TEST(dispatch_names_round_trip) {
  for (int i = 0; i < gn::kIsaCount; ++i) {
    gn::Isa isa = static_cast<gn::Isa>(i), back;
    GN_CHECK(gn::isa_from_name(gn::isa_name(isa), &back)) << gn::isa_name(isa);
    GN_CHECK(back == isa);
  }
  gn::Isa ignored;
  GN_CHECK(!gn::isa_from_name("sse9", &ignored));
}

GN_TEST(dispatch_table_complete) {
  const gn::IsaKernels& k = gn::kernels();
  GN_CHECK(k.isa == gn_test::current_isa()) << "running " << k.name;
  GN_CHECK(k.gemm.run != nullptr && k.gemm.mr > 0 && k.gemm.nr > 0);
  GN_CHECK(k.gemm.mc % k.gemm.mr == 0 && k.gemm.nc % k.gemm.nr == 0) << "blocks must be tile multiples";
  GN_CHECK(k.vmath.unary && k.vmath.unary_backward && k.vmath.binary && k.vmath.softmax &&
           k.vmath.softmax_backward) << "vmath table of " << k.name << " is incomplete";
}
