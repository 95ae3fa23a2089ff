# install_units.cmake - run by `cmake --install` (and cpack): writes the systemd
# units with the paths of this install. The variables come from the
# install(CODE) step before it in CMakeLists.txt.
set(TIME_SERVER_INSTALLED_BINARY "${CMAKE_INSTALL_PREFIX}/${time_server_bin_dir}/time_server")
set(TIME_SERVER_INSTALLED_DOCS "${CMAKE_INSTALL_PREFIX}/${time_server_doc_dir}")
foreach(unit time-server.socket time-server.service)
  set(destination "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/${time_server_unit_dir}/${unit}")
  message(STATUS "Installing: ${destination}")
  configure_file("${time_server_unit_sources}/${unit}.in" "${destination}" @ONLY)
endforeach()
