// SPDX-License-Identifier: LGPL-2.1-or-later
/* The capitalised spelling many WHPX samples use; see windows.h. */
#include "windows.h"
