# SPDX-License-Identifier: Apache-2.0
# Deletes LIBRARY when any file in INPUTS (a ;-list) is newer, so that the
# next `swift build` links it again. SwiftPM does not track files that only
# linker flags name (the version script), so it would keep a stale library.
# Usage: cmake -DLIBRARY=<file> -DINPUTS=<file;...> -P ForceRelink.cmake
if(NOT EXISTS "${LIBRARY}")
  return()
endif()
foreach(input IN LISTS INPUTS)
  if("${input}" IS_NEWER_THAN "${LIBRARY}")
    message(STATUS "${input} changed: relinking ${LIBRARY}")
    file(REMOVE "${LIBRARY}")
    return()
  endif()
endforeach()
