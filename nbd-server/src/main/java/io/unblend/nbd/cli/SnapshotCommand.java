package io.unblend.nbd.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code unblend snapshot}: only groups its subcommands. */
@Command(
    name = "snapshot",
    mixinStandardHelpOptions = true,
    description =
        "Create, list and delete snapshots: read-only, instant copies of a volume, served as VOLUME@SNAPSHOT.",
    subcommands = {
      SnapshotCreateCommand.class,
      SnapshotListCommand.class,
      SnapshotDeleteCommand.class
    })
public final class SnapshotCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "give a subcommand: create, list or delete");
  }
}
