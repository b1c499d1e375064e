# SPDX-License-Identifier: MIT
# -DEI_STATIC_DEPS=ON (what `make dist` builds): the `edgeinfer` CLI links Debian's static archives
# of the libraries in EI_STATIC_DEPS_LIBS where Debian ships one (lib<name>.a next to the .so), plus
# what those archives need in turn (pkg-config --static, as shared libraries), with --as-needed so only the libraries
# really used stay as shared dependencies (libmicrohttpd.a -> libgnutls.so.30).
#
# Only the CLI: Debian builds those archives without -fPIC (libwebp.a aside), so they cannot go
# into libedgeinfer.so, which keeps using the shared libraries (the bundle carries them). The choice
# is made per consuming target: each PkgConfig:: target's library becomes
# $<IF:$<TARGET_PROPERTY:EI_LINK_STATIC>,lib.a,lib.so>, and only the CLI sets EI_LINK_STATIC.
option(EI_STATIC_DEPS "Link the CLI statically against Debian's static archives where they exist" OFF)
set(EI_STATIC_DEPS_LIBS jpeg webp microhttpd jansson protobuf-c z sodium
    CACHE STRING "Libraries (lib<name>.a) the CLI links statically under EI_STATIC_DEPS")
if(NOT EI_STATIC_DEPS)
  return()
endif()

set(_ei_on "$<BOOL:$<TARGET_PROPERTY:EI_LINK_STATIC>>")
set(EI_STATIC_ARCHIVES "")
get_property(_ei_imported DIRECTORY ${PROJECT_SOURCE_DIR} PROPERTY IMPORTED_TARGETS)
foreach(_t ${_ei_imported})
  if(NOT _t MATCHES "^PkgConfig::(.+)$")
    continue()
  endif()
  set(_p ${CMAKE_MATCH_1})
  get_target_property(_libs ${_t} INTERFACE_LINK_LIBRARIES)
  if(NOT _libs)
    continue()
  endif()
  set(_new "")
  set(_changed FALSE)
  foreach(_l ${_libs})
    if(_l MATCHES "/lib([^/]+)\\.so$" AND CMAKE_MATCH_1 IN_LIST EI_STATIC_DEPS_LIBS)
      string(REGEX REPLACE "\\.so$" ".a" _a "${_l}")
      if(EXISTS "${_a}")
        list(APPEND _new "$<IF:${_ei_on},${_a},${_l}>")
        list(APPEND EI_STATIC_ARCHIVES "${_a}")
        set(_changed TRUE)
        continue()
      endif()
    endif()
    list(APPEND _new "${_l}")
  endforeach()
  if(_changed)
    # pkg-config --static lists the whole tree (gnutls's own dependencies too); take those present
    # as shared libraries and let --as-needed keep the ones the archive really calls.
    foreach(_s ${${_p}_STATIC_LIBRARIES})
      if(NOT _s IN_LIST ${_p}_LIBRARIES)
        find_library(EI_DEP_LIB_${_s} NAMES ${_s})
        if(EI_DEP_LIB_${_s})
          list(APPEND _new "$<${_ei_on}:${EI_DEP_LIB_${_s}}>")
        endif()
      endif()
    endforeach()
    set_target_properties(${_t} PROPERTIES INTERFACE_LINK_LIBRARIES "${_new}")
  endif()
endforeach()
set_target_properties(edgeinfer_cli PROPERTIES EI_LINK_STATIC ON)
target_link_options(edgeinfer_cli PRIVATE -Wl,--as-needed)
message(STATUS "Static archives for the CLI: ${EI_STATIC_ARCHIVES}")
# For scripts/dist.sh (the licences of what the bundle holds).
string(REPLACE ";" "\n" _ei_list "${EI_STATIC_ARCHIVES}")
file(WRITE ${PROJECT_BINARY_DIR}/static-archives.txt "${_ei_list}\n")
