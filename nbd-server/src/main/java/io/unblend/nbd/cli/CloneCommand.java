package io.unblend.nbd.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code unblend clone}: only groups its subcommands. */
@Command(
    name = "clone",
    mixinStandardHelpOptions = true,
    description = "Create clones: writable volumes that start as a snapshot and share its data.",
    subcommands = {CloneCreateCommand.class})
public final class CloneCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "give a subcommand: create");
  }
}
