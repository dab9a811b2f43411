package io.unblend.logstore.log;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Entry type codes are part of the on-disk format (docs/format.md, "Batch"): a reader that meets a
 * code it does not know must see null and stop replay there.
 */
class EntryTypeCodesTest {
  @Test
  void everyTypeIsFoundByItsOwnCode() {
    for (EntryType type : EntryType.values()) {
      assertThat(EntryType.of(type.code())).isSameAs(type);
    }
  }

  @Test
  void codesNoFormatVersionUsesAreUnknown() {
    for (int code = Byte.MIN_VALUE; code <= Byte.MAX_VALUE; code++) {
      if (code < 1 || code > EntryType.values().length) {
        assertThat(EntryType.of((byte) code)).as("code %d", code).isNull();
      }
    }
  }
}
