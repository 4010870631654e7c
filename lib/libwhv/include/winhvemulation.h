// SPDX-License-Identifier: LGPL-2.1-or-later
/* Lower-case spelling used by MinGW-style code; see WinHvEmulation.h. */
#include "WinHvEmulation.h"
