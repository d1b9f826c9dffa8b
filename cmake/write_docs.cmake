# Writes the man page and the shell completions with the built binary:
#   cmake -DMIGSAFE=path/to/migsafe -DOUT=build/share -P cmake/write_docs.cmake
file(MAKE_DIRECTORY ${OUT}/man/man1 ${OUT}/bash-completion/completions ${OUT}/zsh/vendor-completions)
execute_process(COMMAND ${MIGSAFE} man OUTPUT_FILE ${OUT}/man/man1/migsafe.1 COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND gzip -9nf ${OUT}/man/man1/migsafe.1 COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${MIGSAFE} completions bash
                OUTPUT_FILE ${OUT}/bash-completion/completions/migsafe COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${MIGSAFE} completions zsh
                OUTPUT_FILE ${OUT}/zsh/vendor-completions/_migsafe COMMAND_ERROR_IS_FATAL ANY)
