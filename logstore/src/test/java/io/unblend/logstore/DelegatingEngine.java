package io.unblend.logstore;

import io.unblend.nativeio.CompletionHandler;
import io.unblend.nativeio.IoEngine;
import io.unblend.nativeio.IoFile;
import io.unblend.nativeio.NativeIoException;
import io.unblend.nativeio.OpenFlag;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Set;

/** Passes every call to another engine; tests override what they want to observe. */
class DelegatingEngine implements IoEngine {
  private final IoEngine engine;

  DelegatingEngine(IoEngine engine) {
    this.engine = engine;
  }

  @Override
  public String name() {
    return engine.name();
  }

  @Override
  public int queueDepth() {
    return engine.queueDepth();
  }

  @Override
  public int inFlight() {
    return engine.inFlight();
  }

  @Override
  public IoFile open(Path path, Set<OpenFlag> flags) throws NativeIoException {
    return engine.open(path, flags);
  }

  @Override
  public long sizeBytes(IoFile file) throws NativeIoException {
    return engine.sizeBytes(file);
  }

  @Override
  public boolean prepareRead(IoFile file, long offsetBytes, MemorySegment buffer, long userData)
      throws NativeIoException {
    return engine.prepareRead(file, offsetBytes, buffer, userData);
  }

  @Override
  public boolean prepareWrite(IoFile file, long offsetBytes, MemorySegment buffer, long userData)
      throws NativeIoException {
    return engine.prepareWrite(file, offsetBytes, buffer, userData);
  }

  @Override
  public boolean prepareDurableWrite(
      IoFile file, long offsetBytes, MemorySegment buffer, long userData) throws NativeIoException {
    return engine.prepareDurableWrite(file, offsetBytes, buffer, userData);
  }

  @Override
  public boolean prepareReadFixed(
      IoFile file, long offsetBytes, MemorySegment buffer, int bufferIndex, long userData)
      throws NativeIoException {
    return engine.prepareReadFixed(file, offsetBytes, buffer, bufferIndex, userData);
  }

  @Override
  public boolean prepareWriteFixed(
      IoFile file, long offsetBytes, MemorySegment buffer, int bufferIndex, long userData)
      throws NativeIoException {
    return engine.prepareWriteFixed(file, offsetBytes, buffer, bufferIndex, userData);
  }

  @Override
  public boolean prepareDatasync(IoFile file, long userData) throws NativeIoException {
    return engine.prepareDatasync(file, userData);
  }

  @Override
  public boolean prepareFallocate(
      IoFile file, int mode, long offsetBytes, long lengthBytes, long userData)
      throws NativeIoException {
    return engine.prepareFallocate(file, mode, offsetBytes, lengthBytes, userData);
  }

  @Override
  public boolean prepareNop(long userData) throws NativeIoException {
    return engine.prepareNop(userData);
  }

  @Override
  public void registerBuffers(MemorySegment... regions) throws NativeIoException {
    engine.registerBuffers(regions);
  }

  @Override
  public int submit() throws NativeIoException {
    return engine.submit();
  }

  @Override
  public int awaitCompletions(int minimum, CompletionHandler handler) throws NativeIoException {
    return engine.awaitCompletions(minimum, handler);
  }

  @Override
  public void wakeup() {
    engine.wakeup();
  }

  @Override
  public void close() throws NativeIoException {
    engine.close();
  }
}
