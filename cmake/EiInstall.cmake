# SPDX-License-Identifier: MIT
# make install: libraries, headers, the CLI, pkg-config file, CMake package config, and (when it
# came from .deps/) the ONNX Runtime library itself next to ours so $ORIGIN rpaths find it.
include(CMakePackageConfigHelpers)

install(TARGETS edgeinfer edgeinfer_static EXPORT edgeinferTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS edgeinfer_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/edgeinfer DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

if(EI_ORT_LIBDIR AND EXISTS ${EI_ORT_LIBDIR}/libonnxruntime.so.1)
  file(GLOB EI_ORT_SOFILES ${EI_ORT_LIBDIR}/libonnxruntime*.so*)
  install(FILES ${EI_ORT_SOFILES} DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()

# pkg-config: shared by default; `pkg-config --static` adds what the static library needs.
set(EI_PC_LIBS_PRIVATE "-lonnxruntime -lprotobuf-c -ljpeg -lspng -lwebp -lmicrohttpd -ljansson -lz -lsodium -lgnutls -lpthread -lm")
if(EI_GRPC)
  set(EI_PC_LIBS_PRIVATE "${EI_PC_LIBS_PRIVATE} -lgrpc -lgpr")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/edgeinfer.pc.in ${PROJECT_BINARY_DIR}/edgeinfer.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/edgeinfer.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(EXPORT edgeinferTargets NAMESPACE edgeinfer:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/edgeinfer)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/edgeinferConfig.cmake.in
  ${PROJECT_BINARY_DIR}/edgeinferConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/edgeinfer
  PATH_VARS CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/edgeinferConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/edgeinferConfig.cmake ${PROJECT_BINARY_DIR}/edgeinferConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/edgeinfer)
