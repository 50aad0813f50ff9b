package testkit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrFrameLength is the error of a syslog frame whose length is not a
// positive decimal number.
var ErrFrameLength = errors.New("testkit: bad syslog frame length")

// ReadOctetCounted reads one RFC 6587 octet-counted syslog frame ("LEN MSG")
// from r, as a collector over TCP does, and returns MSG.
func ReadOctetCounted(r *bufio.Reader) (string, error) {
	ls, err := r.ReadString(' ')
	if err != nil {
		return "", err
	}
	n, err := strconv.Atoi(strings.TrimSuffix(ls, " "))
	if err != nil || n <= 0 {
		return "", fmt.Errorf("%w %q", ErrFrameLength, ls)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return string(b), nil
}
