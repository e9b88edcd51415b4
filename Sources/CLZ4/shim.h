/* SPDX-License-Identifier: Apache-2.0 */
/* Exposes liblz4's block and frame APIs to Swift. */
#include <lz4.h>
#include <lz4frame.h>
