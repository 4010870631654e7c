// SPDX-License-Identifier: LGPL-2.1-or-later
/* Lower-case spelling used by MinGW-style code; see WinHvPlatform.h. */
#include "WinHvPlatform.h"
