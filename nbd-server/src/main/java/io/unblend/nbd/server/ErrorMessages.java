package io.unblend.nbd.server;

/** What a failure says to a person, in log lines, CLI errors and NBD error chunks. */
public final class ErrorMessages {
  private ErrorMessages() {}

  /** Its message, or its class's name when it has none (a closed channel, say). */
  public static String of(Throwable failure) {
    return failure.getMessage() != null ? failure.getMessage() : failure.getClass().getSimpleName();
  }
}
