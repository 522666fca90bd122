/*
 * dtmfdecode: spandsp's DTMF receiver as a command, the reference peer for Hushpay's tests and
 * benchmarks (test tooling only: it is never part of the product binary).
 *
 * Reads raw signed 16-bit little-endian 8 kHz mono audio from the file named by argv[1] (or
 * stdin with "-") and prints one line per digit: start_ms<TAB>end_ms<TAB>digit. Times come from
 * spandsp's real-time callback, which fires when the receiver confirms a tone and when it ends;
 * audio is fed one millisecond at a time so that they are accurate to 1 ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <spandsp.h>

static long long pos;        /* samples fed so far */
static long long start_at = -1;
static int current;

static void report(void *user, int code, int level, int delay)
{
    (void)user; (void)level; (void)delay;
    double ms = pos / 8.0;
    if (code) {
        if (start_at >= 0 && current)
            printf("%.0f\t%.0f\t%c\n", start_at / 8.0, ms, current);
        start_at = pos;
        current = code;
    } else if (current) {
        printf("%.0f\t%.0f\t%c\n", start_at / 8.0, ms, current);
        current = 0;
        start_at = -1;
    }
}

static void digits(void *user, const char *d, int len) { (void)user; (void)d; (void)len; }

int main(int argc, char **argv)
{
    FILE *in = stdin;
    if (argc > 1 && strcmp(argv[1], "-") != 0) {
        in = fopen(argv[1], "rb");
        if (!in) { perror(argv[1]); return 2; }
    }
    dtmf_rx_state_t *s = dtmf_rx_init(NULL, digits, NULL);
    if (!s) { fprintf(stderr, "dtmf_rx_init failed\n"); return 2; }
    dtmf_rx_set_realtime_callback(s, report, NULL);
    int16_t buf[8];
    size_t n;
    while ((n = fread(buf, sizeof(int16_t), 8, in)) > 0) {
        dtmf_rx(s, buf, (int)n);
        pos += (long long)n;
    }
    /* flush: a tone still on at the end of the file */
    int16_t zero[8] = {0};
    for (int i = 0; i < 100 && current; i++) { dtmf_rx(s, zero, 8); pos += 8; }
    if (current) printf("%.0f\t%.0f\t%c\n", start_at / 8.0, pos / 8.0, current);
    return 0;
}
