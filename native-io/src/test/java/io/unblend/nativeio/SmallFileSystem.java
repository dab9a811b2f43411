package io.unblend.nativeio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A 1 MiB tmpfs mounted for one test, so that the kernel itself answers ENOSPC. Needs root (as the
 * test machines and CI run); without it the test fails and says so.
 */
final class SmallFileSystem implements AutoCloseable {
  static final long SIZE_BYTES = 1 << 20;

  private final Path mountPoint;

  private SmallFileSystem(Path mountPoint) {
    this.mountPoint = mountPoint;
  }

  static SmallFileSystem mount(Path parent) throws IOException, InterruptedException {
    Path mountPoint = Files.createDirectories(parent.resolve("small-fs"));
    run("mount", "-t", "tmpfs", "-o", "size=" + SIZE_BYTES, "tmpfs", mountPoint.toString());
    return new SmallFileSystem(mountPoint);
  }

  Path path(String name) {
    return mountPoint.resolve(name);
  }

  @Override
  public void close() throws IOException {
    try {
      run("umount", mountPoint.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while unmounting " + mountPoint, e);
    }
  }

  private static void run(String... command) throws IOException, InterruptedException {
    SystemCommand.run("the ENOSPC tests mount a 1 MiB tmpfs and must run as root", command);
  }
}
