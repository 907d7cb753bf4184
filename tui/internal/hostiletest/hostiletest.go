// Package hostiletest fills values with text a hostile workflow author or worker
// could send, and checks that nothing of it that could act on a terminal is drawn.
package hostiletest

import (
	"fmt"
	"reflect"
)

// Text is an OSC 52 clipboard write, a screen clear, a carriage return, the Unicode
// line separator, a right-to-left override, a C1 CSI and a NUL.
const Text = "\x1b]52;c;ZWNobyBwd25lZA==\x07\x1b[2J\r\u2028\u202e\u009b31m\x00x"

// Poison appends Text to every string reachable from ptr (a pointer).
func Poison(ptr any) { poison(reflect.ValueOf(ptr)) }

func poison(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			poison(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).CanSet() {
				poison(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Uint8 { // raw JSON stays as it is
			for i := 0; i < v.Len(); i++ {
				poison(v.Index(i))
			}
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(v.String() + Text)
		}
	}
}

// Unclean returns an error naming the first character of screen that could act on
// a terminal: a control byte other than newline, DEL, C1, the line and paragraph
// separators, or a bidi embedding or override.
func Unclean(screen string) error {
	for i, r := range screen {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return fmt.Errorf("%U at byte %d reaches the screen:\n%s", r, i, screen)
		}
	}
	return nil
}
