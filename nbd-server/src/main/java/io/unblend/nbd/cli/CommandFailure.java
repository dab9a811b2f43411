package io.unblend.nbd.cli;

/** A command that cannot be carried out as given; the message says what to fix. Exit code 1. */
public final class CommandFailure extends Exception {
  private static final long serialVersionUID = 1L;

  public CommandFailure(String message) {
    super(message);
  }
}
