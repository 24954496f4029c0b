// STUB
#include "layout.h"
namespace gn {
void copy_strided(int, const index_t*, const float*, const index_t*, float*, const index_t*) {}
}
