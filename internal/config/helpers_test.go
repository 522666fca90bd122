package config

import "reflect"

func fieldByName(p any, name string) reflect.Value {
	return reflect.ValueOf(p).Elem().FieldByName(name)
}
