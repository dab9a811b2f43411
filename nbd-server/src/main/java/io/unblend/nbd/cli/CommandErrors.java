package io.unblend.nbd.cli;

import io.unblend.logstore.StoreException;
import io.unblend.nbd.server.ErrorMessages;
import java.io.IOException;
import java.util.Map;
import picocli.CommandLine;

/**
 * Turns the failures a user can fix (a {@link CommandFailure}, a store that refuses the request, an
 * admin socket that cannot be reached) into one line on stderr and exit code 1, and with {@code
 * --json} also {@code {"error": MESSAGE}} on stdout; anything else is a bug and keeps picocli's
 * stack trace.
 */
final class CommandErrors implements CommandLine.IExecutionExceptionHandler {
  static final int EXIT_FAILURE = 1;

  /**
   * A command line for {@code command} whose errors read as this class makes them, on the server's
   * admin socket as in a process of its own: an argument that starts with '-' but is no option is
   * taken as the parameter it stands for (so that "-1G" is refused as a size rather than reported
   * as a missing parameter), and failures a user can fix are answered here.
   */
  static CommandLine commandLine(Object command) {
    return new CommandLine(command)
        .setUnmatchedOptionsArePositionalParams(true)
        .setExecutionExceptionHandler(new CommandErrors());
  }

  @Override
  public int handleExecutionException(
      Exception failure, CommandLine commandLine, CommandLine.ParseResult parsed) throws Exception {
    if (failure instanceof CommandFailure
        || failure instanceof StoreException
        || failure instanceof IOException) {
      String message = ErrorMessages.of(failure);
      commandLine.getErr().println("unblend: " + message);
      commandLine.getErr().flush();
      if (commandLine.getParseResult().hasMatchedOption("--json")) {
        // A script that reads stdout gets an object it can parse, besides the exit code.
        commandLine.getOut().println(JsonOutput.of(Map.of("error", message)));
        commandLine.getOut().flush();
      }
      return EXIT_FAILURE;
    }
    throw failure;
  }
}
