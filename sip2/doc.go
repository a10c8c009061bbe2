// Package sip2 implements the 3M Standard Interchange Protocol 2.00: a typed message codec, a Server, a Client, and the Backend/Session interfaces a circulation system implements.
package sip2
