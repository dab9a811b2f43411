package io.unblend.nativeio;

import java.util.Map;

/**
 * Every setting of native-io with its default, validated at once so that a bad value stops the
 * start with a message naming the setting.
 *
 * @param engine {@code unblend.io.engine}: auto (default), io_uring or pread
 * @param queueDepth {@code unblend.io.queue-depth}: operations in flight per engine, 1 to 32768,
 *     default 64
 */
public record NativeIoConfiguration(IoEngineKind engine, int queueDepth) {
  public static final String ENGINE = "unblend.io.engine";
  public static final String QUEUE_DEPTH = "unblend.io.queue-depth";
  public static final int DEFAULT_QUEUE_DEPTH = 64;
  public static final int MAX_QUEUE_DEPTH = 32768;

  public NativeIoConfiguration {
    if (queueDepth < 1 || queueDepth > MAX_QUEUE_DEPTH) {
      throw new IllegalArgumentException(
          QUEUE_DEPTH + "=" + queueDepth + " is out of range; use 1 to " + MAX_QUEUE_DEPTH);
    }
  }

  public static NativeIoConfiguration defaults() {
    return new NativeIoConfiguration(IoEngineKind.AUTO, DEFAULT_QUEUE_DEPTH);
  }

  /** Reads the settings from {@code properties} (system properties, a config file's entries). */
  public static NativeIoConfiguration from(Map<?, ?> properties) {
    Object engine = properties.get(ENGINE);
    Object queueDepth = properties.get(QUEUE_DEPTH);
    int depth = DEFAULT_QUEUE_DEPTH;
    if (queueDepth != null) {
      try {
        depth = Integer.parseInt(queueDepth.toString().trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            QUEUE_DEPTH + "=" + queueDepth + " is not a whole number; use 1 to " + MAX_QUEUE_DEPTH,
            e);
      }
    }
    return new NativeIoConfiguration(
        engine == null ? IoEngineKind.AUTO : IoEngineKind.parse(ENGINE, engine.toString()), depth);
  }
}
