package io.unblend.nbd.cli;

import io.unblend.logstore.StoreException;
import java.io.IOException;
import picocli.CommandLine;

/**
 * Turns the failures a user can fix (a {@link CommandFailure}, a store that refuses the request, an
 * admin socket that cannot be reached) into one line on stderr and exit code 1; anything else is a
 * bug and keeps picocli's stack trace.
 */
final class CommandErrors implements CommandLine.IExecutionExceptionHandler {
  static final int EXIT_FAILURE = 1;

  @Override
  public int handleExecutionException(
      Exception failure, CommandLine commandLine, CommandLine.ParseResult parsed) throws Exception {
    if (failure instanceof CommandFailure
        || failure instanceof StoreException
        || failure instanceof IOException) {
      commandLine.getErr().println("unblend: " + failure.getMessage());
      commandLine.getErr().flush();
      return EXIT_FAILURE;
    }
    throw failure;
  }
}
