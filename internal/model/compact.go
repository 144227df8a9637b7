package model

import "reflect"

// dropNils removes nil entries that empty list items ("- ") and empty map
// values leave behind, so that no check has to guard against them. The
// schema already reported nothing for them: an empty item is simply absent.
func dropNils(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			dropNils(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				dropNils(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Pointer {
			for i := 0; i < v.Len(); i++ {
				dropNils(v.Index(i))
			}
			return
		}
		n := 0
		for i := 0; i < v.Len(); i++ {
			if e := v.Index(i); !e.IsNil() {
				dropNils(e)
				v.Index(n).Set(e)
				n++
			}
		}
		v.SetLen(n)
	case reflect.Map:
		if v.Type().Elem().Kind() != reflect.Pointer {
			return
		}
		for _, k := range v.MapKeys() {
			if e := v.MapIndex(k); e.IsNil() {
				v.SetMapIndex(k, reflect.Value{})
			} else {
				dropNils(e)
			}
		}
	}
}
