#include "tests/unit/tests.h"
static void test_x(void)
{
}
TESTS(test_x)
