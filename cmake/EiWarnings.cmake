# SPDX-License-Identifier: MIT
# Warnings and sanitizers for our own targets only (never for dependencies).
set(EI_WARNING_FLAGS -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wformat=2 -Wwrite-strings -Wvla -Wundef -Wno-unused-parameter)

function(ei_target_warnings tgt)
  target_compile_options(${tgt} PRIVATE ${EI_WARNING_FLAGS})
  if(EI_WERROR)
    target_compile_options(${tgt} PRIVATE -Werror)
  endif()
endfunction()

function(ei_target_sanitize tgt)
  if(EI_SANITIZE)
    target_compile_options(${tgt} PRIVATE -fsanitize=${EI_SANITIZE} -fno-sanitize-recover=all
                           -fno-omit-frame-pointer -g)
    target_link_options(${tgt} PRIVATE -fsanitize=${EI_SANITIZE})
  endif()
  if(EI_FUZZ)
    # Coverage feedback for libFuzzer in the library itself (the fuzz targets add -fsanitize=fuzzer).
    target_compile_options(${tgt} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endfunction()

# A layer: an object library with warnings, sanitizers and the include directories of the layers
# it may use. Usage: ei_layer(name SOURCES ... USES lower_layer_dirs...)
function(ei_layer name)
  cmake_parse_arguments(L "" "" "SOURCES;USES;LIBS" ${ARGN})
  add_library(${name} OBJECT ${L_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/include ${CMAKE_CURRENT_SOURCE_DIR}
                             ${CMAKE_CURRENT_BINARY_DIR})
  foreach(u ${L_USES})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src/${u})
  endforeach()
  foreach(lib ${L_LIBS})
    target_include_directories(${name} SYSTEM PRIVATE $<TARGET_PROPERTY:${lib},INTERFACE_INCLUDE_DIRECTORIES>)
    target_compile_definitions(${name} PRIVATE $<TARGET_PROPERTY:${lib},INTERFACE_COMPILE_DEFINITIONS>)
  endforeach()
  target_compile_definitions(${name} PRIVATE _GNU_SOURCE EI_BUILDING_DLL)
  ei_target_warnings(${name})
  ei_target_sanitize(${name})
endfunction()
