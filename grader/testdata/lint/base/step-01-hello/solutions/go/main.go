package main

// status 201
