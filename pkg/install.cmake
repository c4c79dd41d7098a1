# Install rules and the Debian package (CPack, DEB generator). `cmake --install build` installs under
# CMAKE_INSTALL_PREFIX; `cpack -G DEB` in the build folder makes rsd_VERSION-1_ARCH.deb for /usr with
# /etc/rsd/rsd.conf, /lib/systemd/system/rsd.service, /etc/logrotate.d/rsd, the man pages and the
# examples. The package's dependencies come from dpkg-shlibdeps; its postinst creates the `rsd`
# system user the systemd unit runs as. tests/package checks it end to end (label `package`).
set(RSD_PKG_DIR ${PROJECT_SOURCE_DIR}/pkg)
set(RSD_DOC_DIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/rsd)
# With the prefix /usr (the default here, as a distribution installs), GNUInstallDirs puts the
# configuration in /etc; the systemd unit goes to /lib/systemd/system, where Debian 12 keeps units.
# Any other prefix keeps everything under it.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(RSD_SYSTEMD_UNIT_DIR /lib/systemd/system)
else()
  set(RSD_SYSTEMD_UNIT_DIR lib/systemd/system)
endif()

# Man pages, compressed as Debian ships them (gzip -n: reproducible).
find_program(GZIP_PROGRAM gzip REQUIRED)
set(rsd_man_pages rsd.8 rsc.1 rsd.conf.5)
set(rsd_man_outputs "")
foreach(page IN LISTS rsd_man_pages)
  string(REGEX MATCH "[0-9]$" section ${page})
  set(out ${CMAKE_BINARY_DIR}/man/${page}.gz)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND ${GZIP_PROGRAM} -9n -c ${PROJECT_SOURCE_DIR}/man/${page} > ${out}
    DEPENDS ${PROJECT_SOURCE_DIR}/man/${page}
    VERBATIM)
  list(APPEND rsd_man_outputs ${out})
  install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
# The Debian changelog of the package (required by Debian policy next to the copyright file).
set(rsd_changelog ${CMAKE_BINARY_DIR}/pkg/changelog.Debian.gz)
add_custom_command(OUTPUT ${rsd_changelog}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/pkg
  COMMAND ${GZIP_PROGRAM} -9n -c ${RSD_PKG_DIR}/changelog.Debian > ${rsd_changelog}
  DEPENDS ${RSD_PKG_DIR}/changelog.Debian
  VERBATIM)
add_custom_target(rsd_docs ALL DEPENDS ${rsd_man_outputs} ${rsd_changelog})

install(FILES ${RSD_PKG_DIR}/rsd.conf DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/rsd)
install(FILES ${RSD_PKG_DIR}/rsd.logrotate DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/logrotate.d RENAME rsd)
install(FILES ${RSD_PKG_DIR}/rsd.service DESTINATION ${RSD_SYSTEMD_UNIT_DIR})
install(FILES ${RSD_PKG_DIR}/copyright ${rsd_changelog} DESTINATION ${RSD_DOC_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/docs/examples/rsd-alerts.yml DESTINATION ${RSD_DOC_DIR}/examples)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/examples/anycast-exabgp ${PROJECT_SOURCE_DIR}/docs/examples/anycast-healthcheck
        DESTINATION ${RSD_DOC_DIR}/examples)

# The Debian package.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME rsd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "rsd maintainers <rsd@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "health-aware BGP route server")
set(CPACK_PACKAGE_DESCRIPTION
  "rsd is a BGP route server for IPv4 and IPv6 unicast that reads BIRD 2's
 configuration and filter language. It turns service health into routes, from
 programs speaking ExaBGP's API or from its own checks, and serves Prometheus
 metrics and a BIRD-compatible control socket (rsc, birdc).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.org/rsd")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# libssl3 comes from the shared-library dependencies; https health checks verify against the
# system CA store unless given a `ca file`.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "exabgp, logrotate, prometheus")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
file(WRITE ${CMAKE_BINARY_DIR}/pkg/conffiles "/etc/rsd/rsd.conf\n/etc/logrotate.d/rsd\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_BINARY_DIR}/pkg/conffiles ${RSD_PKG_DIR}/postinst ${RSD_PKG_DIR}/prerm ${RSD_PKG_DIR}/postrm)
# Only what the install rules above name (no test or benchmark program).
set(CPACK_COMPONENTS_ALL_IN_ONE_PACKAGE ON)
include(CPack)
