# SPDX-License-Identifier: Apache-2.0
#
# Debian packages with CPack, one per install component, as Debian splits a
# library (zstd, lmdb, librdkafka do the same):
#   libeventlog0     runtime  the shared library (.so.0 and .so.0.1.0)
#   libeventlog-dev  dev      header, pkg-config file, CMake package, the
#                             unversioned .so link, libeventlog(3)
#   eventlog-tools   tools    the eventlog tool, its man pages, completions
#   cd build && cpack -G DEB      (writes the three .deb files here)
# The Swift runtime is linked into the library and the tool, so they depend
# only on libc, libstdc++, libgcc and liblz4. The tool links the Swift
# library statically, not libeventlog.so.0, so it does not depend on
# libeventlog0.
if(NOT EVENTLOG_STATIC_STDLIB)
  message(WARNING "EVENTLOG_STATIC_STDLIB is OFF: the Debian packages would need the Swift "
                  "toolchain at run time, which their Depends do not say")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME libeventlog)
set(CPACK_PACKAGE_VENDOR "libeventlog")
set(EVENTLOG_PACKAGE_MAINTAINER "libeventlog maintainers" CACHE STRING
  "Maintainer field of the Debian packages (name <email>)")
set(CPACK_PACKAGE_CONTACT "${EVENTLOG_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "embeddable append-only event log in Apache Kafka's segment format")
set(CPACK_RESOURCE_FILE_LICENSE "${CMAKE_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES OFF) # the install rules strip (EVENTLOG_STRIP)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING IGNORE)
set(CPACK_COMPONENTS_ALL runtime dev)
if(EVENTLOG_BUILD_CLI)
  list(APPEND CPACK_COMPONENTS_ALL tools)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(system_depends "libc6 (>= 2.34), libgcc-s1, libstdc++6, liblz4-1 (>= 1.9)")
set(exact "(= ${PROJECT_VERSION})")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libeventlog${EVENTLOG_SOVERSION})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "${system_depends}")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS OFF)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "embeddable append-only event log (shared library)
 libeventlog stores records in directories of Apache Kafka segment files
 (RecordBatch v2, LZ4, CRC-32C) and reads them back with cursors that can
 follow the log from other processes. This package holds the shared library.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libeventlog-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libeventlog${EVENTLOG_SOVERSION} ${exact}")
set(CPACK_COMPONENT_DEV_DESCRIPTION "embeddable append-only event log (development files)
 The C header, the pkg-config file, the CMake package (find_package(eventlog))
 and the libeventlog(3) man page.")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME eventlog-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION utils)
# The tool ships to and imports from Kafka through librdkafka.
set(CPACK_DEBIAN_TOOLS_PACKAGE_DEPENDS "${system_depends}, librdkafka1 (>= 2.0)")
set(CPACK_COMPONENT_TOOLS_DESCRIPTION "inspect and maintain libeventlog logs
 The eventlog tool: info, dump, tail, append, verify, recover, compact,
 retention and named cursors, with man pages and bash, zsh and fish
 completions.")

include(CPack)
