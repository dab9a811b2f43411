package io.unblend.nativeio;

/**
 * Receives completed operations from {@link IoEngine#awaitCompletions}. Implementations are called
 * on the engine's thread and must not call back into the engine's await method.
 */
@FunctionalInterface
public interface CompletionHandler {
  /**
   * @param userData the value given when the operation was prepared
   * @param result bytes transferred (read, write), 0 (datasync, fallocate, nop), or a negative
   *     errno; a read or write that returns fewer bytes than asked is short, not failed
   */
  void onCompletion(long userData, int result);
}
