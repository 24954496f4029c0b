{
  "variables": {
    "gradnode_sources_baseline": [
      "native/kernels/dispatch.cc",
      "native/kernels/threads.cc",
      "native/kernels/gemm/gemm.cc",
      "native/kernels/gemm/pack.cc",
      "native/kernels/gemm/ukernel_generic.cc",
      "native/kernels/elementwise/elementwise.cc",
      "native/kernels/elementwise/vmath_generic.cc",
      "native/kernels/reduce/reduce.cc",
      "native/kernels/reduce/softmax.cc",
      "native/kernels/layout/copy_strided.cc",
      "native/kernels/layout/upsample.cc",
      "native/kernels/conv/im2col.cc",
      "native/kernels/conv/conv2d.cc",
      "native/kernels/conv/conv_columns.cc",
      "native/kernels/conv/conv_igemm.cc",
      "native/kernels/conv/conv_winograd.cc",
      "native/kernels/conv/conv_direct.cc",
      "native/kernels/conv/conv_lanes.cc",
      "native/kernels/conv/conv_ukernel_generic.cc",
      "native/kernels/conv/conv2d_bwd_data.cc",
      "native/kernels/conv/conv2d_bwd_filter.cc",
      "native/kernels/conv/depthwise.cc",
      "native/kernels/conv/depthwise_generic.cc",
      "native/kernels/pool/maxpool2d.cc",
      "native/kernels/pool/avgpool2d.cc",
      "native/kernels/norm/batchnorm.cc",
      "native/kernels/recurrent/lstm.cc",
      "native/kernels/optim/optim.cc",
      "native/kernels/random/dropout.cc"
    ],
    "gradnode_sources_avx2": [
      "native/kernels/gemm/ukernel_avx2.cc",
      "native/kernels/elementwise/vmath_avx2.cc",
      "native/kernels/conv/conv_ukernel_avx2.cc",
      "native/kernels/pool/maxpool2x2_avx2.cc",
      "native/kernels/pool/pool_window_avx2.cc",
      "native/kernels/conv/winograd_avx2.cc",
      "native/kernels/conv/depthwise_avx2.cc",
      "native/kernels/conv/col2im_avx2.cc",
      "native/kernels/gemm/pack_avx2.cc"
    ],
    "gradnode_sources_avx512": [
      "native/kernels/gemm/ukernel_avx512.cc",
      "native/kernels/elementwise/vmath_avx512.cc",
      "native/kernels/conv/conv_ukernel_avx512.cc",
      "native/kernels/pool/maxpool2x2_avx512.cc",
      "native/kernels/pool/pool_window_avx512.cc",
      "native/kernels/conv/winograd_avx512.cc",
      "native/kernels/conv/depthwise_avx512.cc",
      "native/kernels/conv/col2im_avx512.cc"
    ],
    "gradnode_sources_neon": [
      "native/kernels/gemm/ukernel_neon.cc",
      "native/kernels/elementwise/vmath_neon.cc"
    ],
    "gradnode_sources_addon": [
      "native/addon/addon.cc",
      "native/addon/bind_gemm.cc",
      "native/addon/bind_conv.cc",
      "native/addon/bind_pool.cc",
      "native/addon/bind_elementwise.cc",
      "native/addon/bind_reduce.cc",
      "native/addon/bind_layout.cc",
      "native/addon/bind_norm.cc",
      "native/addon/bind_recurrent.cc",
      "native/addon/bind_optim.cc"
    ],
    "gradnode_flags_avx2": [
      "-mavx2",
      "-mfma",
      "-mf16c"
    ],
    "gradnode_flags_avx512": [
      "-mavx2",
      "-mfma",
      "-mf16c",
      "-mavx512f",
      "-mavx512bw",
      "-mavx512dq",
      "-mavx512vl"
    ]
  }
}
