# SPDX-License-Identifier: MIT
# `edgeinfer info` and `edgeinfer run` on the bundled models, good paths and bad ones; plus the link
# of test_cli_args against the CLI library it tests.
if(TARGET test_cli_args)
  target_link_libraries(test_cli_args PRIVATE ei_cli)
endif()
