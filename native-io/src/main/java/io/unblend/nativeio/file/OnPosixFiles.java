package io.unblend.nativeio.file;

import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.OpenFlag;
import java.nio.file.Path;
import java.util.Set;

/**
 * An engine whose files are the host's real files and block devices, through {@link PosixFiles}.
 */
public interface OnPosixFiles extends IoEngine {
  @Override
  default IoFile open(Path path, Set<OpenFlag> flags) throws NativeIoException {
    return PosixFiles.open(path, flags);
  }

  @Override
  default void dropCachedPages(IoFile file, long offsetBytes, long lengthBytes) {
    PosixFiles.dropCachedPages(file, offsetBytes, lengthBytes);
  }

  @Override
  default long sizeBytes(IoFile file) throws NativeIoException {
    return PosixFiles.sizeBytes(file);
  }
}
