package io.unblend.nbd.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/** {@code unblend volume}: only groups its subcommands. */
@Command(
    name = "volume",
    mixinStandardHelpOptions = true,
    description = "List, create, grow and delete thin volumes.",
    subcommands = {
      VolumeListCommand.class,
      VolumeCreateCommand.class,
      VolumeResizeCommand.class,
      VolumeDeleteCommand.class
    })
public final class VolumeCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "give a subcommand: list, create, resize or delete");
  }
}
