package io.unblend.nativeio;

/** The kinds of operation an {@link IoEngine} carries out. */
public enum IoOperation {
  READ("read"),
  WRITE("write"),
  READ_FIXED("read (fixed buffer)"),
  WRITE_FIXED("write (fixed buffer)"),
  DURABLE_WRITE("write (RWF_DSYNC)"),
  DATASYNC("fdatasync"),
  FALLOCATE("fallocate"),
  NOP("nop");

  private final String label;

  IoOperation(String label) {
    this.label = label;
  }

  /** The name an error message uses. */
  public String label() {
    return label;
  }

  public boolean isWrite() {
    return this == WRITE || this == WRITE_FIXED || this == DURABLE_WRITE;
  }
}
