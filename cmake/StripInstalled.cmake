# SPDX-License-Identifier: Apache-2.0
#
# Strips an installed ELF file (run by `cmake --install` and CPack for the
# library and the tool). With SPLIT, first copies its debug info to
# DEBUG_DIR/.build-id/xx/yyyy.debug (the layout gdb and Debian's -dbgsym
# packages use) and links the stripped file to it with .gnu_debuglink.
# Usage: cmake -DFILE=<elf> -DDEBUG_DIR=<dir> -DSPLIT=ON|OFF -DOBJCOPY=<objcopy>
#              -P StripInstalled.cmake
if(NOT EXISTS "${FILE}")
  message(FATAL_ERROR "StripInstalled: ${FILE} does not exist")
endif()
if(SPLIT)
  execute_process(COMMAND readelf -n "${FILE}" OUTPUT_VARIABLE notes COMMAND_ERROR_IS_FATAL ANY)
  if(NOT notes MATCHES "Build ID: ([0-9a-f][0-9a-f])([0-9a-f]+)")
    message(FATAL_ERROR "StripInstalled: ${FILE} has no build ID")
  endif()
  set(debug "${DEBUG_DIR}/.build-id/${CMAKE_MATCH_1}/${CMAKE_MATCH_2}.debug")
  get_filename_component(debug_parent "${debug}" DIRECTORY)
  file(MAKE_DIRECTORY "${debug_parent}")
  execute_process(COMMAND "${OBJCOPY}" --only-keep-debug --compress-debug-sections "${FILE}" "${debug}"
    COMMAND_ERROR_IS_FATAL ANY)
  file(CHMOD "${debug}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
  message(STATUS "Debug info: ${debug}")
  set(link "--add-gnu-debuglink=${debug}")
endif()
# --strip-unneeded keeps what the dynamic linker needs (.dynsym) and drops
# the static symbol table and the debug sections.
execute_process(COMMAND "${OBJCOPY}" --strip-unneeded ${link} "${FILE}" COMMAND_ERROR_IS_FATAL ANY)
file(SIZE "${FILE}" size)
message(STATUS "Stripped: ${FILE} (${size} bytes)")
