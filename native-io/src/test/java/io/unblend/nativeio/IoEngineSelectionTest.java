package io.unblend.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IoEngineSelectionTest {
  private final List<String> logLines = new ArrayList<>();
  private final Logger logger = Logger.getLogger(IoEngines.class.getName());
  private final Handler capture =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          logLines.add(new java.util.logging.SimpleFormatter().formatMessage(record));
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void captureLog() {
    logger.addHandler(capture);
  }

  @AfterEach
  void releaseLog() {
    logger.removeHandler(capture);
  }

  @Test
  void autoUsesIoUringWhereTheKernelAllowsIt() throws Exception {
    try (IoEngine engine = IoEngines.open(NativeIoConfiguration.defaults())) {
      assertThat(engine.name()).isEqualTo("io_uring");
      assertThat(engine.queueDepth()).isEqualTo(NativeIoConfiguration.DEFAULT_QUEUE_DEPTH);
    }
    assertThat(logLines).contains("native I/O engine: io_uring (queue depth 64)");
  }

  @Test
  void autoFallsBackToPreadWhenIoUringIsRefused() throws Exception {
    IoEngines.UringOpener refusing =
        depth -> {
          throw NativeIoException.of(Errno.EPERM.number(), "io_uring_setup");
        };
    try (IoEngine engine = IoEngines.openAuto(8, refusing)) {
      assertThat(engine.name()).isEqualTo("pread/pwrite");
    }
    assertThat(logLines)
        .anySatisfy(
            line ->
                assertThat(line)
                    .startsWith("native I/O engine: pread/pwrite fallback (queue depth 8)")
                    .contains("io_uring_setup failed: EPERM (operation not permitted)"));
  }

  @Test
  void configurationForcesTheFallback() throws Exception {
    NativeIoConfiguration forced =
        NativeIoConfiguration.from(
            Map.of(NativeIoConfiguration.ENGINE, "pread", NativeIoConfiguration.QUEUE_DEPTH, "4"));
    try (IoEngine engine = IoEngines.open(forced)) {
      assertThat(engine.name()).isEqualTo("pread/pwrite");
      assertThat(engine.queueDepth()).isEqualTo(4);
    }
    assertThat(logLines)
        .contains(
            "native I/O engine: pread/pwrite (queue depth 4, chosen by unblend.io.engine=pread)");
  }

  @Test
  void badSettingsNameTheSettingAndWhatItAccepts() {
    assertThatThrownBy(
            () -> NativeIoConfiguration.from(Map.of(NativeIoConfiguration.ENGINE, "aio")))
        .hasMessage("unblend.io.engine=aio is not an I/O engine; use one of auto, io_uring, pread");
    assertThatThrownBy(
            () -> NativeIoConfiguration.from(Map.of(NativeIoConfiguration.QUEUE_DEPTH, "0")))
        .hasMessage("unblend.io.queue-depth=0 is out of range; use 1 to 32768");
    assertThatThrownBy(
            () -> NativeIoConfiguration.from(Map.of(NativeIoConfiguration.QUEUE_DEPTH, "deep")))
        .hasMessage("unblend.io.queue-depth=deep is not a whole number; use 1 to 32768");
  }
}
