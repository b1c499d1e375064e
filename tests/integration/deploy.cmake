# SPDX-License-Identifier: MIT
# deploy/: the Kubernetes/KServe manifests and the systemd unit, checked against the real server
# (tests/deploy/check_deploy.py: parsed, wired, started with their own arguments in a private
# network namespace and probed; systemd-analyze verify). Exit 77 (skipped) without python3-yaml,
# systemd-analyze or the right to make a network namespace. Not in the ASan pass (the server's own
# tests cover it there; these check the deployment files).
foreach(t kubernetes systemd)
  add_test(NAME deploy_${t} COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/deploy/check_deploy.py ${t})
  set_tests_properties(deploy_${t} PROPERTIES LABELS "integration;noasan" ENVIRONMENT "${EI_TEST_ENV}"
                       SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
